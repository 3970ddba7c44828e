// RFC 4180 CSV: a small state machine over the body, then header-named, typed objects.
#include "records/csv_records.h"

#include <set>
#include <string>

#include "records/format.h"
#include "records/parse_error.h"
#include "records/scalar_text.h"
#include "records/utf8.h"

namespace nokv::records {
namespace {

using nlohmann::json;

struct CsvCell {
  std::string text;
  bool quoted = false;
};

// Reads rows of cells. Invariant: pos_ is at the start of a cell or a row; line_ is the
// 1-based line of pos_ and line_start_ the offset where that line starts.
class CsvReader {
 public:
  explicit CsvReader(std::string_view body) : body_(body) {}

  // The next row into *cells (its first line into *line); false at the end of the body.
  Result<bool> Next(std::vector<CsvCell>* cells, size_t* line) {
    if (pos_ >= body_.size()) return false;
    *line = line_;
    cells->clear();
    while (true) {
      CsvCell cell;
      if (pos_ < body_.size() && body_[pos_] == '"') {
        NOKV_RETURN_IF_ERROR(ReadQuoted(&cell));
      } else {
        ReadUnquoted(&cell);
      }
      cells->push_back(std::move(cell));
      if (pos_ >= body_.size()) break;
      if (body_[pos_] != ',') {
        SkipLineEnd();
        break;
      }
      ++pos_;
    }
    return true;
  }

 private:
  bool AtCellEnd() const {
    return pos_ >= body_.size() || body_[pos_] == ',' || body_[pos_] == '\n' || body_[pos_] == '\r';
  }

  size_t Column() const { return pos_ - line_start_ + 1; }

  void NewLineAt(size_t next_line_start) {
    ++line_;
    line_start_ = next_line_start;
  }

  // At '\n', '\r' or "\r\n": steps over it.
  void SkipLineEnd() {
    if (body_[pos_] == '\r' && pos_ + 1 < body_.size() && body_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    NewLineAt(pos_);
  }

  void ReadUnquoted(CsvCell* cell) {
    size_t start = pos_;
    while (!AtCellEnd()) ++pos_;
    cell->text.assign(body_.substr(start, pos_ - start));
  }

  Status ReadQuoted(CsvCell* cell) {
    size_t open_line = line_, open_column = Column();
    cell->quoted = true;
    ++pos_;  // the opening quote
    while (true) {
      if (pos_ >= body_.size()) {
        return ParseError(open_line, open_column, "unterminated quoted field");
      }
      char c = body_[pos_++];
      if (c == '"') {
        if (pos_ < body_.size() && body_[pos_] == '"') {
          cell->text.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (c == '\n') NewLineAt(pos_);
      cell->text.push_back(c);
    }
    if (!AtCellEnd())
      return ParseError(line_, Column(), "unexpected character after a closing quote");
    return Status::Ok();
  }

  std::string_view body_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t line_start_ = 0;
};

bool IsBlankRow(const std::vector<CsvCell>& cells) {
  return cells.size() == 1 && !cells[0].quoted && cells[0].text.empty();
}

Result<std::vector<std::string>> HeaderNames(const std::vector<CsvCell>& cells, size_t line) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (size_t i = 0; i < cells.size(); ++i) {
    std::string name =
        cells[i].text.empty() ? "column_" + std::to_string(i + 1) : SanitizeUtf8(cells[i].text);
    if (!seen.insert(name).second) {
      return ParseError(line, 0, "duplicate column name '" + name + "' in the header");
    }
    names.push_back(std::move(name));
  }
  return names;
}

// A cell as JSON; discarded (null JSON) for an empty unquoted cell.
json CellValue(const CsvCell& cell) {
  if (cell.quoted) return json(SanitizeUtf8(cell.text));
  if (cell.text.empty()) return json(nullptr);
  if (auto number = ParseJsonNumber(cell.text)) return *std::move(number);
  if (auto b = ParseBoolText(cell.text)) return json(*b);
  return json(SanitizeUtf8(cell.text));
}

}  // namespace

Result<std::vector<json>> ParseCsvRecords(std::string_view body) {
  CsvReader reader(body);
  std::vector<CsvCell> cells;
  std::vector<std::string> header;
  std::vector<json> records;
  ValueBudget budget(kMaxParsedValues);
  size_t line = 0;
  while (true) {
    NOKV_ASSIGN_OR_RETURN(bool more, reader.Next(&cells, &line));
    if (!more) break;
    if (IsBlankRow(cells)) continue;
    if (header.empty()) {
      NOKV_ASSIGN_OR_RETURN(header, HeaderNames(cells, line));
      continue;
    }
    if (cells.size() > header.size()) {
      return ParseError(line, 0,
                        "row has " + std::to_string(cells.size()) + " cells but the header has " +
                            std::to_string(header.size()));
    }
    if (!budget.Take(1 + cells.size())) return ParseError(line, 0, budget.Exceeded());
    json record = json::object();
    for (size_t i = 0; i < cells.size(); ++i) {
      json value = CellValue(cells[i]);
      if (!value.is_null()) record[header[i]] = std::move(value);
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace nokv::records
